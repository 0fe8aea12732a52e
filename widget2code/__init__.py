"""widget2code: screenshot -> React + Tailwind TSX with VLMs."""
