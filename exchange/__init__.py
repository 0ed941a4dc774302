"""exchange: move business documents between e-shops and an ERP through XML files and FTP/SFTP."""

__version__ = "0.1.0"
