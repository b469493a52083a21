"""Reading flags out: listings and exports for the CLI, the review app and analysts."""
