from custodesk.core import access

NOTE_VIEW = access.declare("sample.note.view", "View the sample notes", group="Sample module")
