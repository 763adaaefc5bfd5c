"""HTTP layer: routes, auth dependencies, wire schemas and error rendering."""
