"""The offline preview engine: a Pulumi program run in-process under Pulumi's mock monitor.

``mocks`` answers resource registrations and invokes with realistic Azure outputs,
``monitor`` records the resource graph (parents, dependencies, providers, source positions)
and expands Helm v4 Charts into their rendered children, ``state`` serialises the graph as a
``pulumi stack export`` document (and the Chart inputs it cannot hold), and ``runner`` drives a
program to completion per stack, set up by ``program`` as Pulumi's Python language host sets it
up. ``naming`` holds the engine's naming rules (default providers, source positions) and
``charts`` finds a Chart's chart the way the kubernetes provider does.
"""
