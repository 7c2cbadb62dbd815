"""Entry points: the web app and the command line, where settings and adapters are assembled."""
