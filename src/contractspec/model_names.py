"""How a spec file names the model: what its module-level imports bind.

The static loader (over `ast`) and the editor (over libcst) read the same
import forms, so the rules live here once, on plain strings:

    from contractspec import MigrationSpec as Spec   # Spec -> MigrationSpec
    import contractspec as cs                        # cs.MigrationSpec(...)
    import contractspec.spec as cs                   # (needs the `as`)
    from teams import CORE                           # CORE, from module 'teams'
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import spec as model

# Where a spec file may import the model from: the package, or the module
# that defines it (`import contractspec.spec as cs` needs the `as`).
MODEL_MODULES = ("contractspec", "contractspec.spec")

MODEL_CLASSES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        model.MigrationSpec,
        model.MigrationMeta,
        model.MigrationPlan,
        model.SchemaStep,
        model.DataStep,
        model.ValidationStep,
        model.MigrationCheck,
    )
}
STEP_CLASS_NAMES = ("SchemaStep", "DataStep", "ValidationStep")


def imports_model(module: str, level: int = 0) -> bool:
    """Whether `from <module> import ...` (with `level` leading dots) imports from the model."""
    return module in MODEL_MODULES and not level


@dataclass
class ModelNames:
    """The names a file's module-level imports bind, in the order they are read."""

    classes: dict[str, str] = field(default_factory=dict)  # local name -> class
    modules: list[str] = field(default_factory=list)  # `import contractspec as cs`
    imported: dict[str, str] = field(default_factory=dict)  # other name -> module

    def from_import(
        self, module: str, level: int, name: str, asname: str | None
    ) -> None:
        """`from <module> import <name> as <asname>`."""
        local = asname or name
        if imports_model(module, level) and name in MODEL_CLASSES:
            self.classes[local] = name
        else:
            self.imported[local] = "." * level + module

    def import_(self, name: str, asname: str | None) -> None:
        """`import <name> as <asname>`."""
        if name in MODEL_MODULES and (asname or name == "contractspec"):
            self.modules.append(asname or name)
        else:
            self.imported[asname or name.split(".")[0]] = name

    def model_class(self, owner: str | None, name: str) -> str | None:
        """The model class a call to `name(...)` or `owner.name(...)` makes, if any."""
        if owner is None:
            return self.classes.get(name)
        if owner in self.modules and name in MODEL_CLASSES:
            return name
        return None
