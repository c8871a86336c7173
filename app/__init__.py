"""machi app: the Flet client for phones, tablets and the web (never imports the server)."""
