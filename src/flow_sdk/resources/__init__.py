"""One module per platform namespace."""
