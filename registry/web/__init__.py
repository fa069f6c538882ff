"""The public web: pages people read in a browser, served by `registry serve` beside the API.

Server-rendered with Jinja2 (`pages`), on the same services, queries and verifier as the
API and the command line (`routes`). Plain JavaScript only where the browser must do the
work: verifying a token in the page, and keeping it verifiable offline (`static/`).
"""
