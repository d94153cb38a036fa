"""Cross-cutting web plumbing: the request boundary, security headers, error pages, start page."""
