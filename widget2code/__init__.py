"""widget2code: screenshot -> React + Tailwind TSX with VLMs."""

from widget2code.quiet import quiet_third_party

quiet_third_party()  # first, before any library is imported (see widget2code.quiet)
