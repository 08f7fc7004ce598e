"""Domain constants and value types shared by the parser, the renderer and the backends."""
