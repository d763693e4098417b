"""The offline preview engine: a Pulumi program run in-process under Pulumi's mock monitor.

``mocks`` answers resource registrations and invokes with realistic Azure outputs,
``monitor`` records the resource graph (parents, dependencies, providers, source positions)
and expands Helm v4 Charts into their rendered children, ``state`` serialises the graph as a
``pulumi stack export`` document, and ``runner`` drives a program to completion per stack.
"""
