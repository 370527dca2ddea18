"""HTML views: thin adapters that parse, check access, call one service and respond."""
