"""What every entry point does around its work: Ctrl-C exits 130 with a note, user errors exit 2 in one line.

Lightning catches `KeyboardInterrupt` itself (it runs `on_exception` callbacks, tears down and calls
`sys.exit(1)`), and so may other libraries; a SIGINT handler records that the user interrupted, so the
wrapper can tell a Ctrl-C from any other exit whoever caught it first. Errors raised inside objects
that Hydra instantiates arrive wrapped in `InstantiationException`; the cause is what the user needs.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

INTERRUPTED_EXIT_CODE = 130
USAGE_EXIT_CODE = 2


def _user_error(err: BaseException, kinds: tuple[type[BaseException], ...]) -> BaseException | None:
    """`err` or the first error in its cause chain that is one of `kinds`."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, kinds):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def run_entry(main: Callable[[], T], interrupted: str | Callable[[], str],
              user_errors: tuple[type[BaseException], ...] = ()) -> T:
    """Run `main()`. Ctrl-C: print `interrupted` (or what it returns) and exit 130. An error of one of
    `user_errors` (anywhere in the cause chain): print `error: <message>` and exit 2."""
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
        cause = _user_error(err, user_errors) if user_errors else None
        if cause is None:
            raise
        print(f"error: {cause}", file=sys.stderr)
        sys.exit(USAGE_EXIT_CODE)
    finally:
        signal.signal(signal.SIGINT, previous)
