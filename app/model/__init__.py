"""The window's Qt-free model: the event hub, the workbench state (what is open and how it is
shown), the spectra numbers the views draw, and the slow work handed to background threads.
An import contract keeps Qt and pyqtgraph out of this package, so it is tested headless."""
