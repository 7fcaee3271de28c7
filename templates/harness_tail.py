

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
    sys.exit(main())
