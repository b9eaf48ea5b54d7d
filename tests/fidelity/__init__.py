"""The emulator's fidelity corpus: facts about real Azure OpenAI traffic (`azure_facts.yaml`), the
loader that validates them (`facts`), the checks that hold the emulator to them over raw HTTP
(`checks`), and the tests (`test_azure_facts`). See docs/emulator.md, "Fidelity"."""
