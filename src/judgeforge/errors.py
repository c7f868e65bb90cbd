"""The judgeforge exception family. The CLI turns these into one line and a non-zero exit."""


class JudgeforgeError(Exception):
    """Base class of every error judgeforge raises on purpose."""


class DataError(JudgeforgeError):
    """An input file or record is malformed. The message names the file, line and field."""


class ConfigError(JudgeforgeError):
    """A configuration value or option is invalid."""


class EngineError(JudgeforgeError):
    """An engine could not be created or failed as a whole."""
