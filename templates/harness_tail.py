

def _runtime():
    """The runtime package beside this file (contractspec build writes it),
    loaded from its source by its loader, which checks every file it runs."""
    name = "_contractspec_runtime"
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    if getattr(sys.modules.get(name), "__path__", None) != [folder]:
        path = os.path.join(folder, "loader.py")
        if not os.path.isfile(path):
            raise ImportError(f"{folder} is missing; run: contractspec build --all")
        loader = {"__name__": name + "_loader", "__file__": path}
        with open(path, "rb") as file:
            exec(compile(file.read(), path, "exec"), loader)
        loader["load"](folder)
    return sys.modules[name]


def run(command, database, **options):
    """Run "up", "down" or "plan" against a database URL; returns the result."""
    options["harness"] = __file__
    return _runtime().run_migration(MIGRATION, command, database, **options)


def main(argv=None):
    try:
        runtime = _runtime()
    except ImportError as exc:  # one line, not a traceback
        print(f"error: {exc}", file=sys.stderr)
        return 3  # EXIT_SPEC of the runtime's exits.py, which did not load
    return runtime.runtime_main(MIGRATION, argv, harness=__file__)


if __name__ == "__main__":
    import signal  # first: SIGINT and SIGTERM exit 130/143, never a traceback

    _ours = (signal.SIGINT, signal.SIGTERM)  # not those the parent ignores
    _ours = [s for s in _ours if signal.getsignal(s) is not signal.SIG_IGN]
    for _s in _ours:  # at once while nothing runs (the runtime rolls back first)
        signal.signal(_s, lambda signum, frame: os._exit(128 + signum))
    _code = main()
    for _s in _ours:  # the outcome is decided: no signal changes it now
        signal.signal(_s, signal.SIG_IGN)
    sys.exit(_code)
