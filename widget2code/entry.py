"""What every entry point does around its work: Ctrl-C exits 130 with a note, bad input exits 2 and
missing weights exit 1, each in one line on stderr.

Lightning catches `KeyboardInterrupt` itself (it runs `on_exception` callbacks, tears down and calls
`sys.exit(1)`), and so may other libraries; a SIGINT handler records that the user interrupted, so the
wrapper can tell a Ctrl-C from any other exit whoever caught it first. Errors raised inside objects
that Hydra instantiates arrive wrapped (`InstantiationException`); the cause is what the user needs.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

INTERRUPTED_EXIT_CODE = 130
USAGE_EXIT_CODE = 2  # bad input: a path, a config value, a missing API key
SETUP_EXIT_CODE = 1  # the machine lacks something: model weights a metric or reward needs

Errors = tuple[type[BaseException], ...]


def exit_status(err: BaseException, user_errors: Errors = (), setup_errors: Errors = ()
                ) -> tuple[int, BaseException] | None:
    """(2, cause) for bad input, (1, cause) for missing weights, None for anything else (a bug).

    Looks through the cause chain (`raise ... from`, and Hydra's wrapping of instantiation errors)."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, user_errors):
            return USAGE_EXIT_CODE, seen
        if isinstance(seen, setup_errors):
            return SETUP_EXIT_CODE, seen
        seen = seen.__cause__
    return None


def run_entry(main: Callable[[], T], interrupted: str | Callable[[], str], user_errors: Errors = (),
              setup_errors: Errors = ()) -> T:
    """Run `main()`. Ctrl-C: print `interrupted` (or what it returns) and exit 130. An error of
    `user_errors` / `setup_errors` anywhere in the cause chain: `error: <Type>: <message>`, exit 2 / 1."""
    was_interrupted = False
    previous = signal.getsignal(signal.SIGINT)

    def on_sigint(signum: int, frame: object) -> None:
        nonlocal was_interrupted
        was_interrupted = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_sigint)
    try:
        return main()
    except (KeyboardInterrupt, SystemExit) as err:
        if not (was_interrupted or isinstance(err, KeyboardInterrupt)):
            raise
        note = interrupted() if callable(interrupted) else interrupted
        print(f"\ninterrupted: {note}", file=sys.stderr)
        sys.exit(INTERRUPTED_EXIT_CODE)
    except Exception as err:
        status = exit_status(err, user_errors, setup_errors)
        if status is None:
            raise
        code, cause = status
        message = " ".join(str(cause).split())  # one line, even when a library's message has several
        print(f"error: {type(cause).__name__}: {message}", file=sys.stderr)
        sys.exit(code)
    finally:
        signal.signal(signal.SIGINT, previous)
