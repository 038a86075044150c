"""The window chrome: the main window (docks, menus, actions), the workbench that wires the
feature panels together, screenshots, the self-test and the app icon. It knows every feature;
no feature imports it."""
