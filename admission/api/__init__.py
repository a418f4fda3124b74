"""The versioned JSON API under /api/v1/ (issue 6)."""
