"""nbgrader settings for the VAE series: copy this file to the root of your course folder.

The README's "For instructors" section gives the whole flow (generate, validate, autograde).
"""
from nbconvert.preprocessors import ClearMetadataPreprocessor, Preprocessor
from nbgrader.converters import GenerateAssignment

from vae_helpers.exercises import check_solution_markers

c = get_config()  # noqa: F821 (nbgrader provides it)

c.CourseDirectory.course_id = "vae-kl"

# The release carries no run timestamps and no saved widget state (only the cell metadata
# nbgrader, JupyterLab and papermill read, and the kernel to use).
c.ClearMetadataPreprocessor.enabled = True
c.ClearMetadataPreprocessor.preserve_cell_metadata_mask = {"nbgrader", "tags", "editable", "deletable"}
c.ClearMetadataPreprocessor.preserve_nb_metadata_mask = {"kernelspec", "language_info"}


class RefuseMisspeltSolutionMarkers(Preprocessor):
    """Stop on a line like `# BEGIN SOLUTION`: nbgrader would ship the solution after it."""

    def preprocess(self, nb, resources):
        return check_solution_markers(nb, resources)


c.RefuseMisspeltSolutionMarkers.enabled = True
c.GenerateAssignment.preprocessors = [
    RefuseMisspeltSolutionMarkers,
    *GenerateAssignment.class_traits()["preprocessors"].make_dynamic_default(),
    ClearMetadataPreprocessor]

# Notebooks 05 and 06 train for minutes in full mode; run `VAE_QUICK=1 nbgrader autograde ...`
# to grade in quick mode (the exercise checks do not depend on the mode).
c.ExecutePreprocessor.timeout = 1800
