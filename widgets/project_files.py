"""ProjectFiles: the teach view's files: save the project under a name, open a saved one or an
uploaded project file, export the trained model as a model folder."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import ipywidgets as w

from .photo_picker import PhotoPicker
from .teach_session import TeachSession

MAX_PROJECT_BYTES = 200 * 2**20  # 10 classes x 300 samples make about 40 MiB


class ProjectFiles(w.VBox):
    """Projects are saved as `<projects>/<name>.zip`. `act(action)` runs what a button asked
    (saying an error in one sentence), `say(text, good=False)` shows a message; `before_save()`
    runs before a save (the settings shown become the project's); `on_open(project, name)`
    replaces the view's project by an opened one."""

    def __init__(self, session: TeachSession, projects: Path, act: Callable[[Callable[[], None]], None],
                 say: Callable[..., None], before_save: Callable[[], None], on_open: Callable[[object, str], None]):
        self.session, self.projects = session, Path(projects)
        self.act, self.say, self.before_save, self.on_open = act, say, before_save, on_open
        self.project_name = w.Text("my-project", description="Project", layout=w.Layout(width="260px"))
        self.save_button = w.Button(description="Save", icon="save")
        self.save_button.on_click(lambda _: self.act(self.save_project))
        self.saved = w.Dropdown(options=self._saved(), layout=w.Layout(width="220px"))
        self.open_button = w.Button(description="Open", icon="folder-open")
        self.open_button.on_click(lambda _: self.act(self._open_saved))
        self.open_file = PhotoPicker(label="Open a project file", accept=".zip", max_bytes=MAX_PROJECT_BYTES)
        self.open_file.on_file(lambda data, name: self.act(lambda: self.open_project(data, name)))
        self.open_file.on_problem(say)
        self.model_name = w.Text("my-model", description="Model", layout=w.Layout(width="260px"))
        self.replace = w.Checkbox(False, description="replace a model of that name", indent=False)
        self.export_button = w.Button(description="Export", icon="download")
        self.export_button.on_click(lambda _: self.act(self.export_model))
        wrap = dict(flex_flow="row wrap", align_items="center", grid_gap="8px")
        super().__init__([
            w.HBox([self.project_name, self.save_button, self.saved, self.open_button, self.open_file],
                   layout=w.Layout(**wrap)),
            w.HBox([self.model_name, self.replace, self.export_button], layout=w.Layout(**wrap)),
        ])

    def _saved(self) -> list[str]:
        return sorted(p.name for p in self.projects.glob("*.zip")) if self.projects.is_dir() else []

    def save_project(self) -> None:
        teach, project = self.session.teach, self.session.project
        name = self.project_name.value.strip()
        if not teach.NAME.match(name):
            raise teach.TeachError(f"{name!r} cannot name a project file: use letters, digits, _ and -.")
        self.before_save()
        path = project.save(self.projects / f"{name}.zip")
        self.saved.options = self._saved()
        self.saved.value = path.name
        n = sum(len(s) for s in project.samples)
        self.say(f"Saved {len(project.classes)} classes and {n} samples to {path}.", good=True)

    def _open_saved(self) -> None:
        if not self.saved.value:
            raise self.session.teach.TeachError(f"There is no saved project in {self.projects} yet.")
        self.open_project(self.projects / self.saved.value, self.saved.value)

    def open_project(self, source, name: str) -> None:
        """Replace the project by the one in a file (a path or an upload's bytes)."""
        teach = self.session.teach
        project = teach.Project.open(source, name)
        self.project_name.value = Path(name).stem if teach.NAME.match(Path(name).stem) else "my-project"
        self.on_open(project, name)
        n = sum(len(s) for s in project.samples)
        self.say(f"Opened {name}: {len(project.classes)} classes, {n} samples of {project.kind} features.", good=True)

    def export_model(self) -> None:
        teach, session = self.session.teach, self.session
        if session.head is None:
            raise teach.TeachError("Train the model before exporting it.")
        if not session.head_is_current():
            raise teach.TeachError("The classes or samples changed since the last training: train again first.")
        out = teach.export(session.project, session.head, self.model_name.value.strip(), overwrite=self.replace.value)
        self.say(f"Exported to {out}: mlexp.load({out.name!r}) runs it, and so does "
                 f"`mlexp predict {out.name} PHOTO --json`.", good=True)
