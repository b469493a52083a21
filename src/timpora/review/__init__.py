"""The review queue: web app, API and CLI for reviewers, supervisors, analysts and admins."""
