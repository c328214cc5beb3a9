"""``netpol-lint lsp``: a language server (stdio) with the whole workspace as context.

Layers, none importing upward:

* ``state.py``  -- the workspace: parsed files per path (open buffers replace their file),
  the lint run over them, findings per file, and the analyses hover and navigation read;
  no LSP types.
* ``features.py`` -- code actions, hover text, definitions and references over the state,
  as plain offsets and locations; no LSP types either (unit-testable without a client).
* ``server.py`` -- pygls wiring: LSP types in and out, debouncing, publishing.

pygls and lsprotocol come with the ``lsp`` extra (``pip install 'netpol-lint[lsp]'``);
only ``server.py`` imports them.
"""
