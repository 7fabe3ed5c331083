import { useState } from 'react';
import { Button, FieldError, Form, Input, Label, TextField } from 'react-aria-components';
import { useSessionApi } from '../session';
import { ErrorNotice } from '../ui';

export function LoginPage({ notice }: { notice?: string }) {
  const { signIn } = useSessionApi();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>();
  const [pending, setPending] = useState(false);

  return (
    <main className="centered">
      <section className="card login" aria-labelledby="login-title">
        <h1 id="login-title">Sign in to ModelGate</h1>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        {error !== undefined && <ErrorNotice error={error} title="Could not sign in" />}
        <Form
          onSubmit={(event) => {
            event.preventDefault();
            setPending(true);
            setError(undefined);
            signIn(email, password).catch((e: unknown) => {
              setError(e);
              setPending(false);
            });
          }}
        >
          <TextField className="field" name="email" type="email" isRequired autoComplete="username" value={email} onChange={setEmail}>
            <Label>Email</Label>
            <Input />
            <FieldError />
          </TextField>
          <TextField
            className="field"
            name="password"
            type="password"
            isRequired
            autoComplete="current-password"
            value={password}
            onChange={setPassword}
          >
            <Label>Password</Label>
            <Input />
            <FieldError />
          </TextField>
          <Button type="submit" className="button button-primary" isDisabled={pending}>
            {pending ? 'Signing in…' : 'Sign in'}
          </Button>
        </Form>
      </section>
    </main>
  );
}
