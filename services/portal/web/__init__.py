"""HTTP side of the portal: aiohttp handlers, middlewares and the server."""
