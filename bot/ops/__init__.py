"""Operating the bot: health checks and Prometheus metrics on a small HTTP server."""
