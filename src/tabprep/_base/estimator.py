"""scikit-learn's estimator face, without importing scikit-learn until scikit-learn is used.

Importing ``sklearn.base`` costs about a second (it pulls SciPy), more than everything else a
``tabprep fit``/``transform`` of a small file does. So the steps (and the splitters) do not
inherit scikit-learn's classes when they are defined. They get the face from here:

:class:`MetadataRequester`
    scikit-learn's metadata routing: ``set_{method}_request`` methods, generated when a class is
    defined from the signatures of ``fit``, ``transform``, ``split``... and the
    ``__metadata_request__*`` class attributes, by the same rule as scikit-learn's
    ``_MetadataRequester`` (the methods themselves are scikit-learn's ``RequestMethod``, made
    when first looked up); ``_get_metadata_request``/``get_metadata_routing`` call
    scikit-learn's (only scikit-learn's routers call them).
:class:`Estimator`
    ``get_params``/``set_params`` (deep, nested ``a__b``), ``__sklearn_clone__`` (:func:`clone`,
    the same as ``sklearn.base.clone``), ``fit_transform``, pickling as plain ``__dict__`` (no
    ``_sklearn_version``: a step's state does not depend on scikit-learn's version), and the
    link to scikit-learn's ``TransformerMixin``/``BaseEstimator``:

The link. Every class deriving from :class:`Estimator` gets scikit-learn's
``TransformerMixin``/``BaseEstimator`` as bases as soon as ``sklearn.base`` is imported -- by
anyone, before or after tabprep: an import hook runs :func:`adopt_sklearn` right after
``sklearn.base`` has executed (or at once, if it already has). So whenever scikit-learn code can
see a step, ``isinstance(step, sklearn.base.BaseEstimator)`` is true (``check_estimator``, the
pretty and HTML reprs rely on it), while a process that never imports scikit-learn never pays
for it. Methods defined here (and in the steps) come first in the method order, so a step
behaves the same before and after; the few things only scikit-learn has (``__repr__``, the HTML
repr, ``__sklearn_tags__``) are placeholders here that import ``sklearn.base`` -- which adopts it
and removes them -- and then call scikit-learn's.
"""

from __future__ import annotations

import copy
import inspect
import sys
import threading
from collections import defaultdict

__all__ = ["Estimator", "MetadataRequester", "clone", "adopt_sklearn", "sklearn_config"]

# sklearn.utils._metadata_requests: the methods that may request metadata, and the request
# value that removes a parameter inherited from a base class
_SIMPLE_METHODS = ("fit", "partial_fit", "predict", "predict_proba", "predict_log_proba",
                   "decision_function", "score", "split", "transform", "inverse_transform")
_UNUSED = "$UNUSED$"
_NOT_METADATA = frozenset({"X", "y", "Y", "Xt", "yt"})


def sklearn_config(key: str, default):
    """``sklearn.get_config()[key]`` if scikit-learn is imported, else ``default`` (nobody can
    have changed scikit-learn's configuration in a process that never imported it)."""
    module = sys.modules.get("sklearn._config")
    if module is None:
        return default
    return module.get_config().get(key, default)


class _RequestMethod:
    """``set_{method}_request``: scikit-learn's ``RequestMethod``, made when looked up (it only
    works with scikit-learn's routing enabled, so scikit-learn is imported by then anyway)."""

    def __init__(self, name: str, keys: list[str]) -> None:
        self.name = name
        self.keys = keys

    def __get__(self, instance, owner):
        from sklearn.utils._metadata_requests import RequestMethod

        return RequestMethod(self.name, self.keys).__get__(instance, owner)


def _static(cls, name: str):
    """``cls``'s attribute ``name`` as stored in the class dicts (no descriptor runs), or None.

    ``inspect.getattr_static`` without its metaclass and instance checks, which cost ~10x more
    (the lookups run for each method of each class when it is defined)."""
    for base in cls.__mro__:
        found = base.__dict__.get(name)
        if found is not None:
            return found
    return None


class MetadataRequester:
    """scikit-learn's ``_MetadataRequester``, with no scikit-learn import when a class is defined."""

    def __init_subclass__(cls, **kwargs):
        # scikit-learn's rule: a set_{method}_request for each method that takes metadata (or
        # whose base had one), unless the class writes its own
        super().__init_subclass__(**kwargs)
        for method in _SIMPLE_METHODS:
            name = f"set_{method}_request"
            current = _static(cls, name)  # no getattr: it would import sklearn
            if current is not None and not isinstance(current, _RequestMethod):
                continue
            requests = cls._get_class_level_metadata_request_values(method)
            if requests or current is not None:
                setattr(cls, name, _RequestMethod(method, sorted(requests)))

    @classmethod
    def _get_class_level_metadata_request_values(cls, method_name: str, method=None, ignore_params=None) -> dict:
        """``{metadata: request}`` of ``method_name`` from its signature and the
        ``__metadata_request__{method_name}`` class attributes (scikit-learn's rule)."""
        if method is None:
            method = _static(cls, method_name)
            if not inspect.isfunction(method):
                return {}
        ignore = _NOT_METADATA | set(ignore_params or ())
        skip = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        params: dict = defaultdict(str, {
            name: None for name, p in list(inspect.signature(method).parameters.items())[1:]
            if name not in ignore and p.kind not in skip
        })
        key = f"__metadata_request__{method_name}"
        for base in reversed(inspect.getmro(cls)):
            for attr, value in vars(base).copy().items():
                if key not in attr:  # also the name-mangled _Class__metadata_request__...
                    continue
                for prop, alias in value.items():
                    if prop not in params and alias == _UNUSED:
                        raise ValueError(f"Trying to remove parameter {prop} with UNUSED which doesn't exist.")
                    params[prop] = alias
        return {p: a for p, a in params.items() if a is not _UNUSED}

    def _get_metadata_request(self):
        """This object's ``MetadataRequest`` (scikit-learn's routers call it)."""
        from sklearn.utils._metadata_requests import _MetadataRequester

        return _MetadataRequester._get_metadata_request(self)

    def get_metadata_routing(self):
        """The metadata routing of this object (a ``sklearn.utils.metadata_routing.MetadataRequest``)."""
        return self._get_metadata_request()

    # scikit-learn < 1.8 builds the default requests through these two classmethods (1.8 replaced
    # them by _get_class_level_metadata_request_values); the linked steps inherit them, the
    # splitters are not linked. Only the installed 1.9 is tested.
    @classmethod
    def _get_default_requests(cls):
        from sklearn.utils._metadata_requests import _MetadataRequester

        return _MetadataRequester._get_default_requests.__func__(cls)

    @classmethod
    def _build_request_for_signature(cls, router, method):
        from sklearn.utils._metadata_requests import _MetadataRequester

        return _MetadataRequester._build_request_for_signature.__func__(cls, router, method)


def clone(estimator, *, safe: bool = True):
    """A new unfitted estimator with the same parameters: ``sklearn.base.clone``, without
    importing scikit-learn (an object's own ``__sklearn_clone__`` is used when it has one)."""
    if hasattr(estimator, "__sklearn_clone__") and not inspect.isclass(estimator):
        return estimator.__sklearn_clone__()
    return _clone_parametrized(estimator, safe=safe)


def _clone_parametrized(estimator, *, safe: bool = True):
    # sklearn.base._clone_parametrized, step by step
    kind = type(estimator)
    if kind is dict:
        return {k: clone(v, safe=safe) for k, v in estimator.items()}
    if kind in (list, tuple, set, frozenset):
        return kind([clone(e, safe=safe) for e in estimator])
    if not hasattr(estimator, "get_params") or isinstance(estimator, type):
        if not safe:
            return copy.deepcopy(estimator)
        if isinstance(estimator, type):
            raise TypeError("Cannot clone object. You should provide an instance of scikit-learn estimator "
                            "instead of a class.")
        raise TypeError(f"Cannot clone object '{estimator!r}' (type {type(estimator)}): it does not seem to be a "
                        "scikit-learn estimator as it does not implement a 'get_params' method.")
    params = estimator.get_params(deep=False)
    for name, value in params.items():
        params[name] = clone(value, safe=False)
    new = type(estimator)(**params)
    if hasattr(estimator, "_metadata_request"):
        new._metadata_request = clone(estimator._metadata_request)
    if hasattr(estimator, "_skl_callbacks"):  # shared by reference, as scikit-learn does
        new._skl_callbacks = estimator._skl_callbacks
    stored = new.get_params(deep=False)
    for name in params:
        if params[name] is not stored[name]:
            raise RuntimeError(f"Cannot clone object {estimator}, as the constructor either does not set or "
                               f"modifies parameter {name}")
    if hasattr(estimator, "_sklearn_output_config"):
        new._sklearn_output_config = copy.deepcopy(estimator._sklearn_output_config)
    return new


class _Unlinked:
    """The base of :class:`Estimator` until scikit-learn is imported (then replaced by
    ``TransformerMixin, BaseEstimator``; Python only allows that swap from a base of our own,
    not from ``object``)."""


# what only scikit-learn has: placeholders on Estimator until it is linked, then removed
_PLACEHOLDERS = ("__repr__", "_repr_html_", "_repr_mimebundle_", "__sklearn_tags__")


def _link_now() -> None:
    import sklearn.base  # noqa: F401  (the import hook links the classes)

    adopt_sklearn()  # the hook was not installed (e.g. a module reloaded): link anyway


class Estimator(MetadataRequester, _Unlinked):
    """The scikit-learn estimator face of the steps (see the module docstring)."""

    # scikit-learn's set_output mixin wraps `transform` of subclasses when this names it; the
    # steps convert their output themselves
    _sklearn_auto_wrap_output_keys: set = set()

    def __init_subclass__(cls, **kwargs):
        if _linked:  # scikit-learn's set_output mixin is a base now: tell it not to wrap
            kwargs.setdefault("auto_wrap_output_keys", None)
        else:
            kwargs.pop("auto_wrap_output_keys", None)
        super().__init_subclass__(**kwargs)

    @classmethod
    def _get_param_names(cls) -> list[str]:
        init = cls.__init__
        if init is object.__init__:
            return []
        # read once per class and __init__ (inspect.signature took ~2 ms of a 20k-row fit_transform
        # of five steps, through clone and get_params)
        known = cls.__dict__.get("_param_names_of_init")
        if known is not None and known[0] is init:
            return list(known[1])
        params = [p for p in inspect.signature(init).parameters.values()
                  if p.name != "self" and p.kind != p.VAR_KEYWORD]
        for p in params:
            if p.kind == p.VAR_POSITIONAL:
                raise RuntimeError("scikit-learn estimators should always specify their parameters in the signature "
                                   f"of their __init__ (no varargs). {cls} doesn't follow this convention.")
        names = sorted(p.name for p in params)
        cls._param_names_of_init = (init, tuple(names))
        return names

    def get_params(self, deep: bool = True) -> dict:
        """Parameters of this estimator (with ``deep``, also ``name__param`` of nested estimators).

        Returns
        -------
        dict
        """
        out = {}
        for key in self._get_param_names():
            value = getattr(self, key)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update((f"{key}__{k}", v) for k, v in value.get_params().items())
            out[key] = value
        return out

    def set_params(self, **params):
        """Set parameters (``name__param`` reaches a nested estimator); returns ``self``."""
        if not params:
            return self
        valid = self.get_params(deep=True)
        nested: dict = defaultdict(dict)
        for key, value in params.items():
            key, delim, sub_key = key.partition("__")
            if key not in valid:
                raise ValueError(f"Invalid parameter {key!r} for estimator {self}. "
                                 f"Valid parameters are: {self._get_param_names()!r}.")
            if delim:
                nested[key][sub_key] = value
            else:
                setattr(self, key, value)
                valid[key] = value
        for key, sub in nested.items():
            valid[key].set_params(**sub)
        return self

    def __sklearn_clone__(self):
        return _clone_parametrized(self)

    def fit_transform(self, X, y=None, **fit_params):
        """Fit to ``X`` (and ``y``), then transform ``X``."""
        if fit_params and sklearn_config("enable_metadata_routing", False):
            # scikit-learn's TransformerMixin.fit_transform warns the same way
            consumed = self.get_metadata_routing().consumes(method="transform", params=fit_params.keys())
            if consumed:
                import warnings

                warnings.warn(f"This object ({type(self).__name__}) has a `transform` method which consumes metadata, "
                              "but `fit_transform` does not forward metadata to `transform`. Please implement a "
                              "custom `fit_transform` method to forward metadata to `transform` as well. "
                              "Alternatively, you can explicitly do `set_transform_request`and set all values to "
                              "`False` to disable metadata routed to `transform`, if that's an option.", UserWarning)
        fitted = self.fit(X, **fit_params) if y is None else self.fit(X, y, **fit_params)
        return fitted.transform(X)

    def __getstate__(self):
        if getattr(self, "__slots__", None):
            raise TypeError("You cannot use `__slots__` in objects inheriting from `sklearn.base.BaseEstimator`.")
        return self.__dict__.copy()

    def __setstate__(self, state) -> None:
        self.__dict__.update(state)

    # ------------------------------------------------------------ until scikit-learn is linked
    def __repr__(self, N_CHAR_MAX=700):
        _link_now()
        return type(self).__repr__(self, N_CHAR_MAX)

    @property
    def _repr_html_(self):
        _link_now()
        return self._repr_html_

    def _repr_mimebundle_(self, **kwargs):
        _link_now()
        return self._repr_mimebundle_(**kwargs)

    def __sklearn_tags__(self):
        _link_now()
        return self.__sklearn_tags__()


_linking = threading.Lock()
_linked = False


def adopt_sklearn() -> None:
    """Give :class:`Estimator` (so every step) scikit-learn's ``TransformerMixin`` and
    ``BaseEstimator`` as bases, and drop the placeholders; once, when ``sklearn.base`` exists."""
    global _linked
    module = sys.modules.get("sklearn.base")
    if _linked or module is None:
        return
    with _linking:
        if _linked:
            return
        for name in _PLACEHOLDERS:
            if name in vars(Estimator):
                delattr(Estimator, name)
        Estimator.__bases__ = (MetadataRequester, module.TransformerMixin, module.BaseEstimator)
        _linked = True


# Plain classes (the import protocol needs only these methods): importlib.abc would import
# importlib.resources and more at tabprep's start.
class _LinkingLoader:
    """Executes ``sklearn.base`` with its own loader, then links the classes."""

    def __init__(self, loader) -> None:
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module) -> None:
        self._loader.exec_module(module)
        adopt_sklearn()

    def __getattr__(self, name):  # get_source, get_filename, is_package... of the real loader
        return getattr(self._loader, name)


class _LinkOnImport:
    """Finds ``sklearn.base`` with the other finders and wraps its loader (a post-import hook)."""

    def find_spec(self, fullname, path, target=None):
        if fullname != "sklearn.base":
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _LinkingLoader(spec.loader)
                return spec
        return None


def _install_hook() -> None:
    if "sklearn.base" in sys.modules:
        adopt_sklearn()
    elif not any(isinstance(f, _LinkOnImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _LinkOnImport())


_install_hook()
