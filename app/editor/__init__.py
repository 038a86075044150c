"""The drag-and-drop pipeline editor.

Model (no Qt): document.PipelineDocument (the spec + edit operations), params (parameter
schema for the inspector), badges (the parallel policy's verdict per branch group).
Controller (Qt): commands.EditorController (every edit an undo command on a QUndoStack).
Views (Qt): palette, canvas, inspector, editor widget (built on the model above).
"""
