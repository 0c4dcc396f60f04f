"""This folder ships in the built wheel as ``production._sample_episodes`` (see pyproject.toml),
so ``perspective demo`` has its sample episode in any install. Your own episodes need no such file.
"""
