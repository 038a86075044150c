"""Qt helpers that several features share: background work (workers), the one channel for
errors and status messages (notify), message boxes (dialogs), the spectra drawing layer and its
renderer, plot export, colours, settings, recent-file menus and the GUI-thread garbage
collector. Nothing here knows any feature or the window."""
