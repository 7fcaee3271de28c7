

def _runtime():
    """The runtime module beside this file (contractspec build writes it)."""
    name = "_contractspec_runtime"
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".py")
    if getattr(sys.modules.get(name), "__file__", None) != path:
        if not os.path.isfile(path):
            raise ImportError(f"{path} is missing; run: contractspec build --all")
        spec = importlib.util.spec_from_file_location(name, path)
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


def run(command, database, **options):
    """Run "up", "down" or "plan" against a database URL; returns the result."""
    options["harness"] = __file__
    return _runtime().run_migration(MIGRATION, command, database, **options)


def main(argv=None):
    try:
        runtime = _runtime()
    except ImportError as exc:  # one line, not a traceback; 3: EXIT_CONFIG
        print(f"error: {exc}", file=sys.stderr)
        return 3
    return runtime.runtime_main(MIGRATION, argv, harness=__file__)


if __name__ == "__main__":
    sys.exit(main())
