"""pytest plugin (entry point ``pytest11``): fixtures over capture sets. See issue on the plugin."""
