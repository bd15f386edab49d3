"""The graph: model, taxonomy, the ``GraphStore`` protocol, its stores and graph algorithms."""
