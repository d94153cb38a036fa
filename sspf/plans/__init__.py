"""The individual plan (åtagandeplan): mapping, goals, actions with owners and deadlines, history."""
