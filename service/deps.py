"""Request dependencies: what a route needs, taken from the app state filled in the lifespan."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from index.hybrid import HybridIndex
from service.answer import Answerer
from service.cite import ClaimChecker
from service.engine import Engine
from service.settings import Settings


def get_engine(request: Request) -> Engine:
    """The engine the lifespan loaded."""
    engine: Engine = request.app.state.engine
    return engine


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_index(engine: Annotated[Engine, Depends(get_engine)]) -> HybridIndex:
    return engine.index


def get_answerer(engine: Annotated[Engine, Depends(get_engine)]) -> Answerer:
    return engine.answerer


def get_checker(engine: Annotated[Engine, Depends(get_engine)]) -> ClaimChecker:
    return engine.checker


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
IndexDep = Annotated[HybridIndex, Depends(get_index)]
AnswererDep = Annotated[Answerer, Depends(get_answerer)]
CheckerDep = Annotated[ClaimChecker, Depends(get_checker)]
