"""Full-screen and modal screens over the workspace."""
