"""Code that runs inside execution environments.

Nothing here may import the rest of lambdalite: the fork server loads this directory as a
private package (``_lambdalite_runtime``) under any python3.9+ interpreter, so user code
never loads the server. Keep the syntax 3.9-compatible.
"""
