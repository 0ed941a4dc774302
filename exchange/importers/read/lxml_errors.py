"""lxml's exceptions translated into the error tree, with one table (the httpx way).

Every exception class lxml defines has a row in :data:`TRANSLATION`; a test walks ``lxml.etree``
and fails on a class that has none. Syntax errors of the input become :class:`XmlSyntaxError`
with the line libxml2 gives, validation errors :class:`SchemaError`; errors that can only come from
a profile's own schema or XPath are :class:`ConfigError` (the user must fix the profile).
"""

from __future__ import annotations

from lxml import etree

from exchange.errors import ConfigError, DocumentError, ExchangeError, SchemaError, XmlSyntaxError

#: lxml exception class → (our class, what the message starts with)
TRANSLATION: dict[type[BaseException], tuple[type[ExchangeError], str]] = {
    etree.Error: (XmlSyntaxError, "XML error"),
    etree.LxmlError: (XmlSyntaxError, "XML error"),
    etree.LxmlSyntaxError: (XmlSyntaxError, "not well-formed XML"),
    etree.ParseError: (XmlSyntaxError, "not well-formed XML"),
    etree.XMLSyntaxError: (XmlSyntaxError, "not well-formed XML"),
    etree.XMLSyntaxAssertionError: (XmlSyntaxError, "not well-formed XML"),
    etree.ParserError: (XmlSyntaxError, "the XML parser failed"),
    etree.XIncludeError: (XmlSyntaxError, "XInclude is not allowed"),
    etree.C14NError: (XmlSyntaxError, "canonical XML failed"),
    etree.SerialisationError: (XmlSyntaxError, "XML serialisation failed"),
    etree.DocumentInvalid: (SchemaError, "fails the schema"),
    etree.XMLSchemaError: (SchemaError, "schema validation failed"),
    etree.XMLSchemaValidateError: (SchemaError, "schema validation failed"),
    etree.DTDError: (XmlSyntaxError, "DTDs are not allowed"),
    etree.DTDParseError: (XmlSyntaxError, "DTDs are not allowed"),
    etree.DTDValidateError: (XmlSyntaxError, "DTDs are not allowed"),
    etree.RelaxNGError: (SchemaError, "RELAX NG validation failed"),
    etree.RelaxNGValidateError: (SchemaError, "RELAX NG validation failed"),
    etree.SchematronError: (SchemaError, "Schematron validation failed"),
    etree.SchematronValidateError: (SchemaError, "Schematron validation failed"),
    # only a profile's own schema, XPath or XSLT can raise these: the profile must be fixed
    etree.XMLSchemaParseError: (ConfigError, "cannot load the schema"),
    etree.RelaxNGParseError: (ConfigError, "cannot load the RELAX NG schema"),
    etree.SchematronParseError: (ConfigError, "cannot load the Schematron schema"),
    etree.XPathError: (ConfigError, "XPath failed"),
    etree.XPathEvalError: (ConfigError, "XPath failed"),
    etree.XPathFunctionError: (ConfigError, "XPath function failed"),
    etree.XPathResultError: (ConfigError, "XPath gave an unusable result"),
    etree.XPathSyntaxError: (ConfigError, "invalid XPath"),
    etree.XSLTError: (ConfigError, "XSLT failed"),
    etree.XSLTApplyError: (ConfigError, "XSLT failed"),
    etree.XSLTExtensionError: (ConfigError, "XSLT extension failed"),
    etree.XSLTParseError: (ConfigError, "cannot load the XSLT"),
    etree.XSLTSaveError: (ConfigError, "XSLT output failed"),
    etree.LxmlRegistryError: (ConfigError, "lxml registry error"),
    etree.NamespaceRegistryError: (ConfigError, "lxml namespace registry error"),
}


def translate(exc: BaseException, *, file: str | None = None,
              schema_in_use: bool = False) -> ExchangeError:
    """The error to raise ``from exc``; an lxml class without a row is a bug (KeyError).

    With ``schema_in_use``, a syntax error that libxml2 reports from its schema module is a schema
    error: streaming validation stops the parse with an ``XMLSyntaxError`` and no line.
    """
    cls, lead = TRANSLATION[type(exc)]
    message = getattr(exc, "msg", None) or str(exc) or type(exc).__name__
    line = getattr(exc, "lineno", None) or None
    if schema_in_use and isinstance(exc, etree.XMLSyntaxError) and any(
            e.domain_name.startswith("SCHEMAS") for e in list(exc.error_log)):  # type: ignore[call-overload]
        cls, lead = SchemaError, "fails the schema"
    if issubclass(cls, DocumentError):
        return cls(f"{lead}: {message}", file=file, line=line)
    where = f"{file}: " if file else ""
    return cls(f"{where}{lead}: {message}")
