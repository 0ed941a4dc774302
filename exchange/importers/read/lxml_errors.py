"""lxml's exceptions translated into the error tree, with one table (the httpx way).

Every exception class lxml defines has an entry of its own in :data:`LXML_ERRORS` (an
:class:`~exchange.translate.ErrorTable`); a test walks ``lxml``'s classes and fails on one that has
none. Syntax errors of the input become :class:`XmlSyntaxError`
with the line libxml2 gives, validation errors :class:`SchemaError`; errors that can only come from
a profile's own schema or XPath are :class:`ConfigError` (the user must fix the profile).
"""

from __future__ import annotations

from lxml import etree

from exchange.errors import ConfigError, DocumentError, ExchangeError, SchemaError, XmlSyntaxError
from exchange.translate import ErrorTable, Failure, Translator


def _document(cls: type[DocumentError], lead: str) -> Translator:
    def build(failure: Failure) -> ExchangeError:
        exc = failure.exc
        message = getattr(exc, "msg", None) or failure.text
        line = getattr(exc, "lineno", None) or None
        return cls(f"{lead}: {message}", file=failure.what or None, line=line)
    return build


def _profile(lead: str) -> Translator:
    def build(failure: Failure) -> ExchangeError:
        where = f"{failure.what}: " if failure.what else ""
        return ConfigError(f"{where}{lead}: {failure.text}")
    return build


#: every exception class of lxml.etree → our error
LXML_ERRORS = ErrorTable.of("lxml", [
    ((etree.Error, etree.LxmlError), _document(XmlSyntaxError, "XML error")),
    ((etree.LxmlSyntaxError, etree.ParseError, etree.XMLSyntaxError,
      etree.XMLSyntaxAssertionError), _document(XmlSyntaxError, "not well-formed XML")),
    ((etree.ParserError,), _document(XmlSyntaxError, "the XML parser failed")),
    ((etree.XIncludeError,), _document(XmlSyntaxError, "XInclude is not allowed")),
    ((etree.C14NError,), _document(XmlSyntaxError, "canonical XML failed")),
    ((etree.SerialisationError,), _document(XmlSyntaxError, "XML serialisation failed")),
    ((etree.DTDError, etree.DTDParseError, etree.DTDValidateError),
     _document(XmlSyntaxError, "DTDs are not allowed")),
    ((etree.DocumentInvalid,), _document(SchemaError, "fails the schema")),
    ((etree.XMLSchemaError, etree.XMLSchemaValidateError),
     _document(SchemaError, "schema validation failed")),
    ((etree.RelaxNGError, etree.RelaxNGValidateError),
     _document(SchemaError, "RELAX NG validation failed")),
    ((etree.SchematronError, etree.SchematronValidateError),
     _document(SchemaError, "Schematron validation failed")),
    # only a profile's own schema, XPath or XSLT can raise these: the profile must be fixed
    ((etree.XMLSchemaParseError,), _profile("cannot load the schema")),
    ((etree.RelaxNGParseError,), _profile("cannot load the RELAX NG schema")),
    ((etree.SchematronParseError,), _profile("cannot load the Schematron schema")),
    ((etree.XPathError, etree.XPathEvalError), _profile("XPath failed")),
    ((etree.XPathFunctionError,), _profile("XPath function failed")),
    ((etree.XPathResultError,), _profile("XPath gave an unusable result")),
    ((etree.XPathSyntaxError,), _profile("invalid XPath")),
    ((etree.XSLTError, etree.XSLTApplyError), _profile("XSLT failed")),
    ((etree.XSLTExtensionError,), _profile("XSLT extension failed")),
    ((etree.XSLTParseError,), _profile("cannot load the XSLT")),
    ((etree.XSLTSaveError,), _profile("XSLT output failed")),
    ((etree.LxmlRegistryError, etree.NamespaceRegistryError), _profile("lxml registry error")),
])
#: what to catch at the boundary
CAUGHT = tuple(LXML_ERRORS.rules)
_SCHEMA_FAILED = _document(SchemaError, "fails the schema")


def translate(exc: BaseException, *, file: str | None = None,
              schema_in_use: bool = False) -> ExchangeError:
    """The error to raise ``from exc``.

    With ``schema_in_use``, a syntax error that libxml2 reports from its schema module is a schema
    error: streaming validation stops the parse with an ``XMLSyntaxError`` and no line.
    """
    if schema_in_use and isinstance(exc, etree.XMLSyntaxError) and any(
            e.domain_name.startswith("SCHEMAS")
            for e in list(exc.error_log)):  # type: ignore[call-overload]
        return _SCHEMA_FAILED(Failure(exc, file or ""))
    return LXML_ERRORS.translate(exc, file or "")
