"""Workshop tools: notebook-save events, the instructor's views of them, handing out material."""
