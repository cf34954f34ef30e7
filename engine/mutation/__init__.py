"""Mutation testing of the knowledge base: one-change variants of the rules (mutants), built into engines.

:mod:`engine.mutation.mutants` generates the mutants from a rule file's YAML data;
:mod:`engine.mutation.build` turns one into a knowledge base the engine can compile;
:mod:`engine.mutation.equivalents` reads the mutants a committee has shown to change nothing.
Running suites against them is :mod:`service.suites.mutate`.
"""
