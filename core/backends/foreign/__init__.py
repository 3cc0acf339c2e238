"""Foreign targets: endpoints and URLs the user brings, tested but never deployed or torn down."""
