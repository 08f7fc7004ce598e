"""ui: the prompt_toolkit pieces of the REPL (completion, toolbar, history, prompts)."""
