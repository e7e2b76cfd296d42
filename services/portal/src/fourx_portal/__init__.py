"""fourx portal: the web console's backend-for-frontend (one origin for the browser)."""
