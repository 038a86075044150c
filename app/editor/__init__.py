"""The drag-and-drop pipeline editor.

Model (no Qt, app.editor.model): document.PipelineDocument (the spec + edit operations) and
badges (the parallel policy's verdict per branch group); params (parameter schema for the
inspector). Controller (Qt): commands.EditorController (every edit an undo command on a
QUndoStack). Views (Qt): palette, canvas, inspector, editor widget (built on the model above).
"""
