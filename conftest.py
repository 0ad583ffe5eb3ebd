pytest_plugins = ["custodesk.testing.fixtures"]
