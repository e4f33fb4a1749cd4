"""FastAPI app, web chat, settings and the command line."""
