// The stylesheet widget shows nothing (its layout hides it): anywidget puts its `_css`
// (mlexp.css) into the page's <head> once, under the widget class's name.
export default {
  render() {},
};
