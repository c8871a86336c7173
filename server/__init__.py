"""machi backend: the FastAPI server, its features and the `machi` command."""
